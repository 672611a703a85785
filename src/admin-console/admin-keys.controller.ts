import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AdminContext } from '../admin-auth/admin-auth.types.js';
import { AdminRoleRequired, CurrentAdmin } from '../admin-auth/decorators.js';
import { ConsoleKeysService } from './console-keys.service.js';
import type {
  CreateKeyResponse,
  KeyDetailResponse,
  KeyListResponse,
  KeyResponse,
  KeyUsageResponse,
  RotateKeyResponse,
} from './contract.js';
import { IdPathDto } from './dto/common.dto.js';
import {
  CreateKeyDto,
  KeyUsageQueryDto,
  ListKeysQueryDto,
  RevokeKeyDto,
  RotateKeyDto,
  UpdateKeyDto,
} from './dto/keys.dto.js';

@ApiTags('admin console: API keys')
@Controller('admin/api/keys')
export class AdminKeysController {
  constructor(private readonly keys: ConsoleKeysService) {}

  @Get()
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'Keys, newest first: filters by environment, status, name/prefix, expiry and disuse' })
  list(@Query() query: ListKeysQueryDto): Promise<KeyListResponse> {
    return this.keys.list(query);
  }

  @Get(':id')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: 'One key and its rotation lineage' })
  detail(@Param() path: IdPathDto): Promise<KeyDetailResponse> {
    return this.keys.detail(path.id);
  }

  @Get(':id/usage')
  @AdminRoleRequired('viewer')
  @ApiOperation({ summary: "A key's requests over time by outcome (ok, 401, 402, 403, 429, …)" })
  usage(@Param() path: IdPathDto, @Query() query: KeyUsageQueryDto): Promise<KeyUsageResponse> {
    return this.keys.usageOf(path.id, query);
  }

  @Post()
  @AdminRoleRequired('admin')
  @ApiOperation({
    summary: 'Create a key; the plaintext is answered once. Live keys need step-up; never-expiring keys a super_admin',
  })
  create(@CurrentAdmin() ctx: AdminContext, @Body() dto: CreateKeyDto): Promise<CreateKeyResponse> {
    return this.keys.create(ctx, dto);
  }

  @Patch(':id')
  @AdminRoleRequired('admin')
  @ApiOperation({ summary: 'Edit name, description, permissions, expiry or rate limit' })
  update(@CurrentAdmin() ctx: AdminContext, @Param() path: IdPathDto, @Body() dto: UpdateKeyDto): Promise<KeyResponse> {
    return this.keys.update(ctx, path.id, dto);
  }

  @Post(':id/rotate')
  @AdminRoleRequired('admin', { stepUp: true })
  @ApiOperation({
    summary: 'Replace a key (plaintext once); the old key works for the grace period (0: revoked at once)',
  })
  rotate(
    @CurrentAdmin() ctx: AdminContext,
    @Param() path: IdPathDto,
    @Body() dto: RotateKeyDto,
  ): Promise<RotateKeyResponse> {
    return this.keys.rotate(ctx, path.id, dto);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @AdminRoleRequired('admin', { stepUp: true })
  @ApiOperation({ summary: 'Revoke a key, with a reason: refused from the next request on, on every replica' })
  revoke(@CurrentAdmin() ctx: AdminContext, @Param() path: IdPathDto, @Body() dto: RevokeKeyDto): Promise<KeyResponse> {
    return this.keys.revoke(ctx, path.id, dto);
  }
}
