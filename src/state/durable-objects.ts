/**
 * The Durable Object classes the Worker entry must export. Their code is the
 * control plane's (the config authority validates and compiles, the poller
 * runs the xDS client), so each class here is a thin shell that imports its
 * core lazily on first use: the entry module, which every proxying isolate
 * evaluates, stays free of zod, yaml and the schemas. Every RPC method
 * forwards; callers hold a stub, so they await either way.
 * https://developers.cloudflare.com/durable-objects/best-practices/create-durable-object-stubs-and-send-requests/
 */
import { DurableObject } from 'cloudflare:workers'
import type { ConfigAuthorityCore } from '../admin/authority.js'
import type { StateEnv } from './env.js'
import type { XdsPollerEnv } from './xds-ensure.js'
import type { XdsPollerCore } from './xds-poller.js'

type Core = ConfigAuthorityCore
type Poller = XdsPollerCore

/** The config authority: one Durable Object through which every config write passes (admin/authority.ts). */
export class ConfigAuthority extends DurableObject<StateEnv> {
  #core: Promise<Core> | undefined
  #load(): Promise<Core> {
    return (this.#core ??= import('./control-plane.js').then((m) => new m.ConfigAuthorityCore(this.ctx, this.env)))
  }
  async getNode(...a: Parameters<Core['getNode']>): Promise<ReturnType<Core['getNode']>> {
    return (await this.#load()).getNode(...a)
  }
  async putNode(...a: Parameters<Core['putNode']>): Promise<ReturnType<Core['putNode']>> {
    return (await this.#load()).putNode(...a)
  }
  async current(): Promise<ReturnType<Core['current']>> {
    return (await this.#load()).current()
  }
  async version(...a: Parameters<Core['version']>): Promise<ReturnType<Core['version']>> {
    return (await this.#load()).version(...a)
  }
  async versions(): Promise<ReturnType<Core['versions']>> {
    return (await this.#load()).versions()
  }
  async write(...a: Parameters<Core['write']>): ReturnType<Core['write']> {
    return (await this.#load()).write(...a)
  }
  async rollback(...a: Parameters<Core['rollback']>): ReturnType<Core['rollback']> {
    return (await this.#load()).rollback(...a)
  }
  async adoptBase(): ReturnType<Core['adoptBase']> {
    return (await this.#load()).adoptBase()
  }
}

/** Polls a REST xDS control plane on an alarm (state/xds-poller.ts). */
export class XdsPoller extends DurableObject<XdsPollerEnv> {
  #core: Promise<Poller> | undefined
  #load(): Promise<Poller> {
    return (this.#core ??= import('./control-plane.js').then((m) => new m.XdsPollerCore(this.ctx, this.env)))
  }
  async start(...a: Parameters<Poller['start']>): Promise<void> {
    return (await this.#load()).start(...a)
  }
  async ensure(...a: Parameters<Poller['ensure']>): Promise<void> {
    return (await this.#load()).ensure(...a)
  }
  async stop(): Promise<void> {
    return (await this.#load()).stop()
  }
  async status(): ReturnType<Poller['status']> {
    return (await this.#load()).status()
  }
  override async alarm(): Promise<void> {
    return (await this.#load()).alarm()
  }
}
