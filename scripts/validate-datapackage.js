#!/usr/bin/env node
// Validates an unpacked data package with the Frictionless reference
// libraries: the descriptor against the Tabular Data Package profile,
// then every row of every resource against its Table Schema, with
// primary and foreign keys checked. Prints a JSON summary; exits 1 on
// the first problem. Usage: node scripts/validate-datapackage.js DIR
'use strict'
const path = require('path')
const { Package } = require('datapackage')

async function main () {
  const dir = process.argv[2]
  if (!dir) throw new Error('usage: validate-datapackage.js DIR')
  const pkg = await Package.load(path.join(dir, 'datapackage.json'), { basePath: dir, strict: false })
  if (!pkg.valid) {
    throw new Error('descriptor: ' + pkg.errors.map(e => e.message).join('; '))
  }
  const rows = {}
  for (const res of pkg.resources) {
    if (!res.tabular) throw new Error(`resource ${res.name} is not tabular`)
    if (!res.valid) throw new Error(`resource ${res.name}: ` + res.errors.map(e => e.message).join('; '))
    // read() casts every value by its field's type and constraints and,
    // with relations, checks the foreign keys; it throws on the first error.
    const data = await res.read({ relations: true })
    rows[res.name] = data.length
  }
  console.log(JSON.stringify({ valid: true, profile: pkg.descriptor.profile, rows }))
}

main().catch(err => {
  const detail = err.errors ? err.errors.map(e => e.message).join('; ') : ''
  console.error('invalid data package: ' + err.message + (detail ? ': ' + detail : ''))
  process.exit(1)
})
