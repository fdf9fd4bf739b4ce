import type { Delivery, Sender } from 'rhea';

interface OutgoingState {
  outgoing?: { next_pending_delivery?: number };
}

/**
 * How many more messages a sender may hand to rhea now. rhea's `sendable()` keeps saying yes until its
 * session has written the transfers (on the next tick), and buffers what goes beyond the link's
 * credit; the hub must not queue for a reader beyond its credit, so this counts the deliveries handed
 * over and not yet written (rhea writes a session's deliveries in id order) against the credit.
 */
export class CreditGate {
  private readonly pending: number[] = [];

  constructor(private readonly link: Sender) {}

  available(): number {
    if (!this.link.sendable()) return 0;
    const written = (this.link.session as unknown as OutgoingState).outgoing?.next_pending_delivery ?? Number.POSITIVE_INFINITY;
    while (this.pending.length > 0 && (this.pending[0] as number) < written) this.pending.shift();
    const credit = (this.link as Sender & { credit?: number }).credit ?? 0;
    return Math.max(0, credit - this.pending.length);
  }

  /** Counts a delivery just handed to rhea. */
  sent(delivery: Delivery): void {
    this.pending.push(delivery.id);
  }
}
