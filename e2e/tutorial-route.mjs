// Preloaded (node --import) into the tutorials' processes by e2e/tutorials.test.ts. The test's hub
// listens on port 0, and Microsoft's azure-iothub cannot reach a port given in HostName (it always
// dials 443): this routes `localhost:PORT` to PORT in that process. A hub started by `npm start` is
// on 443 and needs none of this. The CA comes from NODE_EXTRA_CA_CERTS, as for a user.
// The module is imported by path: the package's index loads the whole hub, 1.5 s per process.
import { routeAzureIotHubSdkTo } from '../packages/hub-emulator/dist/azure-iothub-route.js';

routeAzureIotHubSdkTo({});
