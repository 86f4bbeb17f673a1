import { describe, expect, it } from "vitest"
import { packageOf } from "../src/bundles.js"
import { ownerOf } from "../src/profile.js"

const frame = (url: string, functionName = "f") => ({ url, functionName, lineNumber: 0 })

describe("which package a byte or a sample belongs to", () => {
  it("names packages inside pnpm's store, scoped or not", () => {
    expect(packageOf("/w/node_modules/.pnpm/effect@3.22.4/node_modules/effect/dist/esm/Effect.js")).toBe(
      "effect",
    )
    expect(
      packageOf(
        "/w/node_modules/.pnpm/@effect+platform@0.97.2/node_modules/@effect/platform/dist/esm/Http.js",
      ),
    ).toBe("@effect/platform")
    expect(packageOf("/w/packages/core/dist/TokenSource.js")).toBe("@grantflow/core")
  })

  it("tells engine, runtime, WebAssembly and package frames apart", () => {
    expect(ownerOf(frame("", "(garbage collector)"))).toBe("V8 (garbage collector)")
    expect(ownerOf(frame("", "writev"))).toBe("native (V8 builtins, Node bindings)")
    expect(ownerOf(frame("node:internal/abort_controller"))).toBe("node (internals)")
    expect(ownerOf(frame("wasm://wasm/00034eea"))).toBe("WebAssembly (undici's llhttp)")
    expect(
      ownerOf(frame("file:///w/node_modules/.pnpm/xstate@5.33.3/node_modules/xstate/dist/x.cjs.js")),
    ).toBe("xstate")
    expect(ownerOf(frame("file:///w/packages/core/dist/internal/startFlow.js"))).toBe("@grantflow/core")
    expect(ownerOf(frame("file:///w/packages/bench/dist/profileChild.js"))).toBe("bench harness")
  })
})
