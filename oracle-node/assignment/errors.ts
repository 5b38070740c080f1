export class AssignmentError extends Error {
  override name = "AssignmentError";
  constructor(
    readonly code: "ASSIGNMENT_INVALID_INPUT",
    message: string,
  ) {
    super(message);
  }
}
