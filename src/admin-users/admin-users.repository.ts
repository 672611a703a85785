import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { AdminUser } from './admin-user.entity.js';
import { isUuid } from '../common/validation/uuid.js';

@Injectable()
export class AdminUsersRepository {
  constructor(@InjectRepository(AdminUser) private readonly users: Repository<AdminUser>) {}

  findByEmail(email: string): Promise<AdminUser | null> {
    return this.users.createQueryBuilder('u').where('lower(u.email) = lower(:email)', { email }).getOne();
  }

  /** By id when `ref` is a UUID, else by email. */
  findByRef(ref: string): Promise<AdminUser | null> {
    return isUuid(ref) ? this.users.findOne({ where: { id: ref } }) : this.findByEmail(ref);
  }

  /** Inside `manager`'s transaction when given. */
  insert(user: Partial<AdminUser>, manager?: EntityManager): Promise<AdminUser> {
    const repo = manager ? manager.getRepository(AdminUser) : this.users;
    return repo.save(repo.create(user));
  }
}
