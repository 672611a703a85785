import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { RequestValidationError } from '../errors/domain-error.js';
import { RequestValidationPipe } from './request-validation.pipe.js';

class MetadataDto {
  @IsOptional()
  @IsString()
  @MaxLength(5)
  tag?: string;
}

class ChargeDto {
  @IsInt()
  @Min(1)
  amount_minor!: number;

  @IsString()
  description!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => MetadataDto)
  metadata?: MetadataDto;
}

class PageDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  limit: number = 50;
}

const pipe = new RequestValidationPipe();
const body = (metatype: unknown): ArgumentMetadata => ({
  type: 'body',
  metatype: metatype as ArgumentMetadata['metatype'],
});
const query = (metatype: unknown): ArgumentMetadata => ({
  type: 'query',
  metatype: metatype as ArgumentMetadata['metatype'],
});

function issuesOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(RequestValidationError);
    return (error as RequestValidationError).issues;
  }
  throw new Error('expected a RequestValidationError');
}

describe('RequestValidationPipe', () => {
  it('returns an instance of the DTO, with unknown fields dropped', () => {
    const out = pipe.transform({ amount_minor: 5, description: 'x', surprise: true }, body(ChargeDto));
    expect(out).toBeInstanceOf(ChargeDto);
    expect(out).toEqual({ amount_minor: 5, description: 'x' });
  });

  it('lists every failure with its location, nested ones included', () => {
    expect(issuesOf(() => pipe.transform({ amount_minor: 0, metadata: { tag: 'toolong' } }, body(ChargeDto)))).toEqual([
      { loc: ['body', 'amount_minor'], msg: 'amount_minor must not be less than 1', type: 'min' },
      { loc: ['body', 'description'], msg: 'description must be a string', type: 'isString' },
      { loc: ['body', 'metadata', 'tag'], msg: 'tag must be shorter than or equal to 5 characters', type: 'maxLength' },
    ]);
  });

  it('does not coerce body types: "5" is not an integer', () => {
    expect(issuesOf(() => pipe.transform({ amount_minor: '5', description: 'x' }, body(ChargeDto)))).toContainEqual(
      expect.objectContaining({ loc: ['body', 'amount_minor'], type: 'isInt' }),
    );
  });

  it('converts query strings where the DTO says so, and keeps defaults', () => {
    expect(pipe.transform({ limit: '20' }, query(PageDto))).toEqual({ limit: 20 });
    expect(pipe.transform({}, query(PageDto))).toEqual({ limit: 50 });
    expect(issuesOf(() => pipe.transform({ limit: 'many' }, query(PageDto)))).toEqual([
      expect.objectContaining({ loc: ['query', 'limit'], type: 'isInt' }),
    ]);
  });

  it('refuses a body that is not a JSON object', () => {
    for (const value of [null, [], 'text', 42]) {
      expect(issuesOf(() => pipe.transform(value, body(ChargeDto)))).toEqual([
        { loc: ['body'], msg: 'Request body must be a JSON object', type: 'model_attributes_type' },
      ]);
    }
  });

  it('refuses strings PostgreSQL cannot store (NUL, lone surrogates), wherever they are', () => {
    expect(issuesOf(() => pipe.transform({ amount_minor: 1, description: 'a\u0000b' }, body(ChargeDto)))).toEqual([
      { loc: ['body', 'description'], msg: 'must not contain NUL characters', type: 'string_unstorable' },
    ]);
    expect(
      issuesOf(() =>
        pipe.transform({ amount_minor: 1, description: 'x', metadata: { tag: '\uD800' } }, body(ChargeDto)),
      ),
    ).toEqual([{ loc: ['body', 'metadata', 'tag'], msg: 'must be well-formed Unicode', type: 'string_unstorable' }]);
  });

  it('removes keys that could reach a prototype', () => {
    const input = JSON.parse('{"amount_minor": 1, "description": "x", "__proto__": {"polluted": true}}') as object;
    const out = pipe.transform(input, body(ChargeDto)) as Record<string, unknown>;
    expect(out).toEqual({ amount_minor: 1, description: 'x' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('passes custom parameters and untyped values through untouched', () => {
    const principal = { keyId: 'k' };
    expect(pipe.transform(principal, { type: 'custom' })).toBe(principal);
    expect(pipe.transform('pi_123', { type: 'param', metatype: String })).toBe('pi_123');
  });
});
