import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { TokensService } from './tokens.service';

/** Gives a fresh install its first owner token when the API starts (see {@link TokensService.bootstrap}). */
@Injectable()
export class TokenBootstrap implements OnApplicationBootstrap {
  constructor(private readonly tokens: TokensService) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.tokens.bootstrap();
  }
}
