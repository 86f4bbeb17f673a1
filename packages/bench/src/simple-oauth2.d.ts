// The part of simple-oauth2 5 the benches use; the package ships no types.
declare module "simple-oauth2" {
  export interface ModuleOptions {
    readonly client: { readonly id: string; readonly secret: string }
    readonly auth: { readonly tokenHost: string; readonly tokenPath?: string }
    readonly options?: { readonly authorizationMethod?: "header" | "body" }
  }
  export interface AccessToken {
    readonly token: { readonly access_token: string }
  }
  export class ClientCredentials {
    constructor(options: ModuleOptions)
    getToken(params: { readonly scope?: string | ReadonlyArray<string> }): Promise<AccessToken>
  }
}
