import { Global, Module } from '@nestjs/common';
import { RateLimiters } from './rate-limiters.js';
import { RedisConnection } from './redis-connection.js';

/**
 * The optional shared Redis of the HTTP service (see {@link RedisConnection}) and the rate limiters
 * that count in it (see {@link RateLimiters}); the CLI does not use it.
 */
@Global()
@Module({ providers: [RedisConnection, RateLimiters], exports: [RedisConnection, RateLimiters] })
export class RedisModule {}
