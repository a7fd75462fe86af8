/** A value that breaks its contract (a message between actors, a client's argument): names the field. */
export class ContractError extends Error {
  /** Dotted path of the offending field, e.g. `chunks.3.text`. */
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'ContractError';
  }
}
