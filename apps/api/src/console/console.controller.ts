import { Controller, Get, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@app/platform';
import { AcceptsAnyQuery } from '../http/validation';
import type { ConsoleAsset, ConsoleAssets } from './console-assets';
import { ISO_4217_MINOR_UNITS } from '../partners/exports/iso-4217-minor-units';
import { type ConsoleConfig, consoleContentSecurityPolicy } from './console-config';

export const CONSOLE_ASSETS = Symbol('CONSOLE_ASSETS');
export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');

/**
 * The web console (apps/console, built by `npm run build` into dist/console), served offline:
 * - `/console/` — the page: `Cache-Control: no-cache` (always revalidated, so a new build shows at once);
 * - `/console/assets/<hashed name>` — the bundle: content-hashed names, cached for a year, immutable;
 * - `/console/config.json` — whether an OIDC sign-in is offered, and each currency's ISO 4217 minor
 *   units, which the page needs to show amounts (public; nothing secret);
 * - `/` redirects to `/console/`.
 * Every answer carries the console's strict policy (console-config.ts). Public: the page holds no
 * data; the API calls it makes carry the bearer token like any other client's.
 */
@ApiExcludeController()
@Public()
@AcceptsAnyQuery() // the identity provider's sign-in answer comes back to /console/ as a query
@Controller()
export class ConsoleController {
  private readonly policy: string;
  /** What the page is told: the sign-ins, and the minor units amounts are kept in (Intl's display digits differ: LBP, IQD…). */
  private readonly configurationAnswer: ConsoleAsset;

  constructor(
    @Inject(CONSOLE_ASSETS) private readonly assets: ConsoleAssets,
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
  ) {
    this.policy = consoleContentSecurityPolicy(config);
    const body = { ...config, currencyMinorUnits: Object.fromEntries(ISO_4217_MINOR_UNITS) };
    this.configurationAnswer = { body: Buffer.from(JSON.stringify(body)), contentType: 'application/json; charset=utf-8' };
  }

  @Get()
  root(@Res() res: Response): void {
    res.redirect(302, '/console/');
  }

  @Get('console')
  page(@Res() res: Response): void {
    const index = this.assets.index();
    if (!index) throw new NotFoundException('The console has not been built: run `npm run build`');
    this.send(res, index, 'no-cache');
  }

  @Get('console/config.json')
  configuration(@Res() res: Response): void {
    this.send(res, this.configurationAnswer, 'no-cache');
  }

  @Get('console/assets/:name')
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = this.assets.asset(name);
    if (!asset) throw new NotFoundException(`no console asset ${name}`);
    this.send(res, asset, 'public, max-age=31536000, immutable');
  }

  private send(res: Response, asset: ConsoleAsset, cacheControl: string): void {
    res.setHeader('Content-Security-Policy', this.policy);
    res.setHeader('Cache-Control', cacheControl);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type(asset.contentType).status(200).send(asset.body);
  }
}
