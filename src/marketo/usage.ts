/**
 * Marketo's Usage API: calls per day per API user and errors per day by code, kept by Marketo for 7 days.
 * Each read is one REST call, charged to the call budget like any other.
 */
import type { z } from 'zod';
import type { MarketoHttp } from './http';
import {
  ErrorsResponseSchema,
  UsageResponseSchema,
  type MarketoDailyErrors,
  type MarketoDailyUsage,
} from './schemas';
import type { RequestOptions } from './user-management';

export const STATS_PATH = '/rest/v1/stats';

export class MarketoUsage {
  constructor(private readonly http: MarketoHttp) {}

  /** Today's calls (Marketo's day, America/Chicago), one entry. */
  async dailyUsage(options: RequestOptions = {}): Promise<MarketoDailyUsage[]> {
    return await this.read(`${STATS_PATH}/usage.json`, UsageResponseSchema, options);
  }

  /** One entry per day of the last 7 that saw calls. */
  async last7DaysUsage(options: RequestOptions = {}): Promise<MarketoDailyUsage[]> {
    return await this.read(`${STATS_PATH}/usage/last7days.json`, UsageResponseSchema, options);
  }

  async dailyErrors(options: RequestOptions = {}): Promise<MarketoDailyErrors[]> {
    return await this.read(`${STATS_PATH}/errors.json`, ErrorsResponseSchema, options);
  }

  async last7DaysErrors(options: RequestOptions = {}): Promise<MarketoDailyErrors[]> {
    return await this.read(`${STATS_PATH}/errors/last7days.json`, ErrorsResponseSchema, options);
  }

  private async read<S extends z.ZodType>(
    path: string,
    schema: S,
    options: RequestOptions,
  ): Promise<z.output<S>> {
    return await this.http.request({ method: 'GET', template: path, path, schema, signal: options.signal });
  }
}
