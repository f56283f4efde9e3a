/** Thrown by a command that already printed what went wrong and only needs exit code 1. */
export class ReportedFailure extends Error {
  readonly code = 'REPORTED_FAILURE';
  constructor() {
    super('the command reported its failures');
  }
}
