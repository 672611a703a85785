import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { AdminUser } from './admin-user.entity.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class AdminUsersRepository {
  constructor(@InjectRepository(AdminUser) private readonly users: Repository<AdminUser>) {}

  findByEmail(email: string): Promise<AdminUser | null> {
    return this.users.createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getOne();
  }

  /** By id when `ref` is a UUID, else by email. */
  findByRef(ref: string): Promise<AdminUser | null> {
    return UUID.test(ref) ? this.users.findOne({ where: { id: ref } }) : this.findByEmail(ref);
  }

  insert(user: Partial<AdminUser>): Promise<AdminUser> {
    return this.users.save(this.users.create(user));
  }
}
