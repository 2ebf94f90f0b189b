import { PublicError } from '../errors.js';

export class UnauthorizedError extends PublicError {
  constructor(message: string) {
    super(401, 401001, message);
  }
}

export class ForbiddenRequestError extends PublicError {
  constructor() {
    super(403, 403001, 'This request belongs to another account.');
  }
}

export class RequestNotFoundError extends PublicError {
  constructor(id: string) {
    super(404, 404001, `No request with id ${JSON.stringify(id.slice(0, 64))}.`);
  }
}

export class UnknownModelError extends PublicError {
  constructor(id: string, known: string[]) {
    super(400, 400001, `Unknown model ${JSON.stringify(id.slice(0, 200))}. Models: ${known.join(', ')}.`, [
      { loc: ['path', 'model_id'], msg: 'unknown model' },
    ]);
  }
}

export class NotCancellableError extends PublicError {
  constructor(status: string) {
    super(409, 409001, `The request is ${status} and can no longer be cancelled; only queued requests can be.`);
  }
}

export class FileAccessError extends PublicError {
  constructor() {
    super(403, 403002, 'This file URL is invalid or has expired.');
  }
}

export class FileNotFoundError extends PublicError {
  constructor() {
    super(404, 404003, 'This file no longer exists.');
  }
}

export class NotDeletableError extends PublicError {
  constructor(status: string) {
    super(409, 409002, `The request is ${status}; cancel it or wait for it to finish before deleting it.`);
  }
}

export class KeyNotFoundError extends PublicError {
  constructor(id: string) {
    super(404, 404004, `No key ${JSON.stringify(id.slice(0, 64))} in this account.`);
  }
}
