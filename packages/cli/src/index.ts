/**
 * grantflow for terminals: `loopbackLogin` (the system browser and a loopback redirect),
 * `deviceLogin` (a device code), `fileStore` (credentials on disk), and the `grantflow` command.
 *
 * @module
 */
export { type DeviceLoginOptions, deviceLogin } from "./DeviceLogin.js"
export { LoginTimedOut } from "./Errors.js"
export { type FileStore, type FileStoreOptions, fileStore } from "./FileStore.js"
export {
  type ChosenStore,
  chooseStore,
  type Keyring,
  keychainStore,
  type StoreKind,
} from "./KeychainStore.js"
export { type LoopbackLoginOptions, loopbackLogin } from "./LoopbackLogin.js"
