import { Global, Module } from '@nestjs/common';
import { RedisConnection } from './redis-connection.js';

/** The optional shared Redis of the HTTP service (see {@link RedisConnection}); the CLI does not use it. */
@Global()
@Module({ providers: [RedisConnection], exports: [RedisConnection] })
export class RedisModule {}
