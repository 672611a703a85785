import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import type { Environment, PageQuery } from '../contract.js';

export const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class PageQueryDto implements PageQuery {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 50;
}

export class EnvironmentQueryDto {
  @IsOptional()
  @IsIn(['live', 'test'])
  environment: Environment = 'live';
}

export class IdPathDto {
  @IsUUID('all', { message: 'id must be a UUID' })
  id: string;
}

export class SessionPathDto extends IdPathDto {
  @IsUUID('all', { message: 'session_id must be a UUID' })
  session_id: string;
}
