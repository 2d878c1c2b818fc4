/**
 * The command rate limit of one connection: a token bucket refilled at `ratePerSec` up to `burst`.
 * Every client message costs at least one token, malformed ones included (an error reply is work
 * too); a command naming many symbols costs more (one more token per 100 symbols), since a
 * subscribe of 5,000 symbols is far more work than a ping.
 */
export interface CommandRate {
  /** Tokens per second; 0 turns the limit off. */
  readonly ratePerSec: number;
  readonly burst: number;
}

/** What the hub does with a message, given the budget. */
export type BudgetVerdict = 'run' | 'refuse' | 'drop' | 'close';

/** Refused messages in a row (without a token earned in between) after which the client is closed. */
export const MAX_REFUSED_IN_A_ROW = 100;

export function commandCost(symbols: number): number {
  return 1 + Math.ceil(symbols / 100);
}

export class CommandBudget {
  private tokens: number;
  private updatedAt: number;
  private refusedInARow = 0;

  constructor(
    private readonly rate: CommandRate,
    now: number,
  ) {
    this.tokens = rate.burst;
    this.updatedAt = now;
  }

  /**
   * Spends `cost` tokens if there are enough. Otherwise: the first refusal of a run is answered
   * (`refuse`: the client learns it is limited), the following ones are dropped without a reply (a
   * reply per excess message would let a flood make the server write as much as it reads), and a
   * client that keeps going past MAX_REFUSED_IN_A_ROW is closed.
   */
  spend(cost: number, now: number): BudgetVerdict {
    if (this.rate.ratePerSec <= 0) return 'run';
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.rate.ratePerSec);
    this.updatedAt = now;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      this.refusedInARow = 0;
      return 'run';
    }
    this.refusedInARow++;
    if (this.refusedInARow > MAX_REFUSED_IN_A_ROW) return 'close';
    return this.refusedInARow === 1 ? 'refuse' : 'drop';
  }
}
