// An independent verifier of an Elenchus credential: Digital Bazaar's VC 2.0 libraries
// (@digitalbazaar/vc with the eddsa-rdfc-2022 cryptosuite), not a line of Elenchus's Python.
// Offline: the credential's contexts come from the files Elenchus vendors (bot/credentials/contexts),
// the did:key is resolved locally by @digitalbazaar/did-method-key, and any other URL is refused.
//
//   node verify.js CREDENTIAL.json   -> prints {"verified": true|false, "error": ...}; exit 0 when verified
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {driver as didKeyDriver} from '@digitalbazaar/did-method-key';

const here = dirname(fileURLToPath(import.meta.url));
const vendored = join(here, '..', '..', '..', 'bot', 'credentials', 'contexts');
const CONTEXTS = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.json',
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json': 'ob-v3p0-context-3.0.3.json',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.json',
};

const didKey = didKeyDriver();
didKey.use({multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from});

// The contexts of a DID document (did v1, multikey v1) are not Elenchus's: the libraries bundle them.
const bundled = vc.defaultDocumentLoader;

async function documentLoader(url) {
  if (CONTEXTS[url]) {
    const document = JSON.parse(readFileSync(join(vendored, CONTEXTS[url]), 'utf8'));
    return {contextUrl: null, documentUrl: url, document};
  }
  if (url.startsWith('did:key:')) {
    const document = await didKey.get({url});
    return {contextUrl: null, documentUrl: url, document};
  }
  if (url === 'https://www.w3.org/ns/did/v1' || url === 'https://w3id.org/security/multikey/v1') {
    return bundled(url);
  }
  throw new Error(`refused to load ${url}: this verifier works offline`);
}

const credential = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
const result = await vc.verifyCredential({credential, suite, documentLoader});
const error = result.error ? String(result.error.errors?.[0]?.message ?? result.error.message ?? result.error) : null;
console.log(JSON.stringify({verified: result.verified, error}));
process.exit(result.verified ? 0 : 1);
