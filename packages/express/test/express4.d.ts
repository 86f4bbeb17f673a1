// Express 4 under an alias (npm:express@4), with Express 5's types: the adapter uses only what both have.
declare module "express4" {
  import type express from "express"

  const express4: typeof express
  export default express4
}
