/**
 * Which API the client commands talk to and with what token: `--api` / `--api-token`, else
 * `TREMOR_API` / `TREMOR_API_TOKEN`, else the local default. As for `server run`, an empty
 * variable counts as unset (compose files write `TREMOR_X=${X}`). The token variable is the one
 * `server run` reads for its own `--api-token`, so one environment serves both sides.
 */
import { UsageError } from './errors';

export const DEFAULT_API = 'http://127.0.0.1:9898';

export interface ApiTarget {
  readonly baseUrl: string;
  readonly token: string | null;
}

export interface TargetFlags {
  readonly api?: string;
  readonly apiToken?: string;
}

export function resolveApiTarget(flags: TargetFlags, env: NodeJS.ProcessEnv): ApiTarget {
  const api = pick(flags.api, '--api', env.TREMOR_API, 'TREMOR_API');
  const token = pick(flags.apiToken, '--api-token', env.TREMOR_API_TOKEN, 'TREMOR_API_TOKEN');
  return {
    baseUrl: api === null ? DEFAULT_API : baseUrlOf(api.value, api.from),
    token: token?.value ?? null,
  };
}

function pick(
  flag: string | undefined,
  flagName: string,
  variable: string | undefined,
  variableName: string,
): { value: string; from: string } | null {
  if (flag !== undefined) {
    if (flag.trim() === '') throw new UsageError(`${flagName}: must not be empty`);
    return { value: flag, from: flagName };
  }
  if (variable !== undefined && variable !== '') return { value: variable, from: variableName };
  return null;
}

/** An http(s) URL, without the trailing slash that would double the one every path starts with. */
function baseUrlOf(text: string, from: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${from}: expected an http:// or https:// URL, got ${JSON.stringify(text)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(
      `${from}: expected an http:// or https:// URL, got ${JSON.stringify(text)}`,
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UsageError(
      `${from}: the API URL takes no query or fragment, got ${JSON.stringify(text)}`,
    );
  }
  return url.href.replace(/\/+$/, '');
}
