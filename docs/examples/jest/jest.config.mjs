// hubemu's packages are ES modules: no transform, Node's own loader (with --experimental-vm-modules).
export default {
  testEnvironment: 'node',
  transform: {},
  testMatch: ['**/*.test.mjs'],
};
