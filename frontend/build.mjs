// Build the front end into var/frontend (collected by Django's collectstatic as "vendor/").
// Everything comes from node_modules, installed by `npm ci` from package-lock.json.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as sass from 'sass'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'var', 'frontend')
const modules = join(root, 'node_modules')

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const css = sass.compile(join(root, 'frontend', 'app.scss'), {
  loadPaths: [modules, root],
  style: 'compressed',
  quietDeps: true,
  silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'slash-div', 'if-function']
})
writeFileSync(join(out, 'app.css'), css.css)

const govuk = join(modules, 'govuk-frontend', 'dist', 'govuk')
const moj = join(modules, '@ministryofjustice', 'frontend', 'moj')
mkdirSync(join(out, 'govuk', 'assets'), { recursive: true })
mkdirSync(join(out, 'moj', 'assets'), { recursive: true })
cpSync(join(govuk, 'govuk-frontend.min.js'), join(out, 'govuk', 'govuk-frontend.min.js'))
// Images only: the GDS Transport font is for GOV.UK services, which this is not.
cpSync(join(govuk, 'assets', 'images'), join(out, 'govuk', 'assets', 'images'), { recursive: true })
cpSync(join(moj, 'all.bundle.mjs'), join(out, 'moj', 'moj-frontend.mjs'))
cpSync(join(moj, 'assets', 'images'), join(out, 'moj', 'assets', 'images'), { recursive: true })
console.log('front end built into var/frontend')
