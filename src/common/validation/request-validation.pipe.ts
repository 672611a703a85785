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

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The first string (or object key) PostgreSQL could not store: NUL characters are refused by text
 * and jsonb columns, and lone surrogates would be stored as U+FFFD (two different idempotency keys
 * becoming one). Refused here as a 422 rather than failing later as a 500.
 */
function unstorableString(value: unknown, loc: (string | number)[], depth = 0): ValidationIssue | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { loc, msg: 'must not contain NUL characters', type: 'string_unstorable' };
    if (LONE_SURROGATE.test(value)) return { loc, msg: 'must be well-formed Unicode', type: 'string_unstorable' };
    return undefined;
  }
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const issue = unstorableString(value[i], [...loc, i], depth + 1);
      if (issue) return issue;
    }
    return undefined;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const issue = unstorableString(key, [...loc, key], depth + 1) ?? unstorableString(item, [...loc, key], depth + 1);
    if (issue) return issue;
  }
  return undefined;
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
    const unstorable = unstorableString(value, [location]);
    if (unstorable) throw new RequestValidationError([unstorable]);
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
