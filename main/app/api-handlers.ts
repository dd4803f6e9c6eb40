/**
 * Maps contract calls onto AppServices, validating every request before the service sees it
 * and every response before it leaves the process. Shared by the HTTP host and the Electron
 * IPC adapter, so both transports behave identically.
 */
import { isBinaryMethod, isMethodName, methods, type MethodName, type Res } from '../../preload/api.ts';
import { ApiError } from '../../preload/errors.ts';
import { encodeFloat32, encodeRoiArrays } from '../../preload/roi-binary.ts';
import { encodeActivity } from '../../preload/activity-binary.ts';
import { encodeAnatomy } from '../../preload/anatomy-binary.ts';
import { encodeRoiDetail } from '../../preload/roi-detail-binary.ts';
import type { AppServices } from './contract.ts';

export type ApiHandler = (rawRequest: unknown) => Promise<unknown>;
export type ApiHandlers = { readonly [M in MethodName]: (rawRequest: unknown) => Promise<Res<M>> };

export class UnknownMethodError extends ApiError {
  constructor(name: string) {
    super('unknown-method', `No such API method: ${name.slice(0, 64)}`);
  }
}

export function createApiHandlers(services: AppServices): ApiHandlers {
  const handlers: Record<string, ApiHandler> = {};
  for (const name of Object.keys(methods) as MethodName[]) {
    const schema = methods[name];
    handlers[name] = async (raw: unknown) => {
      const req = schema.req.check(raw, 'request');
      const res = await callService(services, name, req);
      return schema.res.check(res, 'response');
    };
  }
  return Object.freeze(handlers) as unknown as ApiHandlers;
}

/** Looks up a handler by an untrusted name. */
export function handlerFor(handlers: ApiHandlers, name: string): ApiHandler {
  if (!isMethodName(name)) throw new UnknownMethodError(name);
  return handlers[name] as ApiHandler;
}

async function callService(services: AppServices, name: MethodName, req: unknown): Promise<unknown> {
  if (isBinaryMethod(name)) {
    switch (name) {
      case 'getRoiArrays':
        return encodeRoiArrays(await services.getRoiArrays(req as never));
      case 'getTrace':
        return encodeFloat32(await services.getTrace(req as never));
      case 'getResultImage':
        return services.getResultImage(req as never);
      case 'getActivity':
        return encodeActivity(await services.getActivity(req as never));
      case 'getPlaneAnatomy':
        return encodeAnatomy(await services.getPlaneAnatomy(req as never));
      case 'getRoiDetail':
        return encodeRoiDetail(await services.getRoiDetail(req as never));
      default:
        return assertNever(name);
    }
  }
  const fn = services[name] as (r: unknown) => Promise<unknown>;
  return fn.call(services, req);
}

function assertNever(x: never): never {
  throw new Error(`unhandled method ${String(x)}`);
}
