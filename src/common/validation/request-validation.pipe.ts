import { type ArgumentMetadata, Injectable, ValidationPipe, type ValidationError } from '@nestjs/common';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { RequestValidationError, type ValidationIssue } from '../errors/domain-error.js';
import { UnparsedBody } from './deferred-json-body.js';

const LOCATION: Record<string, string> = { body: 'body', query: 'query', param: 'path' };

class ValidationFailed extends Error {
  constructor(readonly errors: ValidationError[]) {
    super('validation failed');
  }
}

function flatten(errors: ValidationError[], loc: (string | number)[]): ValidationIssue[] {
  return errors.flatMap((e) => {
    const here = [...loc, e.property];
    const own = Object.entries(e.constraints ?? {}).map(([type, msg]) => ({ loc: here, msg, type }));
    return [...own, ...flatten(e.children ?? [], here)];
  });
}

/**
 * class-validator with the service's rules: unknown fields are dropped (never rejected), no
 * implicit type coercion for bodies, and failures become 422 with FastAPI-style `loc` lists.
 */
@Injectable()
export class RequestValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: false,
      forbidUnknownValues: false,
      transform: true,
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationFailed(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (value instanceof UnparsedBody) throw value.toError();
    // Custom parameter decorators (e.g. the principal) carry no DTO: nothing to validate.
    if (metadata.type === 'custom') return value;
    const location = LOCATION[metadata.type] ?? metadata.type;
    if (metadata.type === 'body' && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new RequestValidationError([
        { loc: [location], msg: 'Request body must be a JSON object', type: 'model_attributes_type' },
      ]);
    }
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof ValidationFailed) throw new RequestValidationError(flatten(error.errors, [location]));
      throw error;
    }
  }

  /** Every rule in the DTOs is synchronous: no promise per constraint on the hot path. */
  protected override validate(object: object, validatorOptions?: ValidatorOptions): ValidationError[] {
    return validateSync(object, validatorOptions);
  }
}
