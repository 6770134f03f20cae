/**
 * A typed service error. Models and handlers throw it; the front door is the one place that
 * turns it into the wire format of the protocol at hand (AWS JSON 1.1, REST-JSON or S3 XML).
 */
export class ServiceError extends Error {
  constructor(
    /** The error code as the service names it, e.g. `ResourceNotFoundException` or `NoSuchKey`. */
    readonly code: string,
    message: string,
    /** HTTP status. Personalize's control plane answers 400 for every modelled error. */
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const invalidInput = (message: string) => new ServiceError("InvalidInputException", message);
export const notFound = (message: string, status = 400) =>
  new ServiceError("ResourceNotFoundException", message, status);
export const alreadyExists = (message: string) =>
  new ServiceError("ResourceAlreadyExistsException", message);
export const inUse = (message: string, status = 400) =>
  new ServiceError("ResourceInUseException", message, status);
export const limitExceeded = (message: string) =>
  new ServiceError("LimitExceededException", message);
