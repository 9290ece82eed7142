// A real OpenID Connect provider (oidc-provider, pinned in package.json) for the SSO tests:
// tests/oidc/conftest.py starts it on a free loopback port and stops it by its PID.
// Everything comes from the environment, as JSON, so the test owns the keys and the accounts:
//   OIDC_ISSUER   http://127.0.0.1:<port>
//   OIDC_JWKS     {"keys": [<private JWK>]}: the key the provider signs ID tokens with
//   OIDC_CLIENTS  [{client_id, client_secret, redirect_uris}]
//   OIDC_ACCOUNTS {"<account id>": {<claims>}}: who may log in, and what the tokens say
//   OIDC_CLOCK_MS the test's wall clock at the start (ms since 1970): the provider keeps time
//                 with it, so under libfaketime (the shifted-clock passes, which this process
//                 is started without) its tokens and cookies carry the same time as the tests'.
// The login and consent pages are oidc-provider's development interactions: the tests post
// their forms with plain HTTP; any password is taken.

const offset = Number(process.env.OIDC_CLOCK_MS || Date.now()) - Date.now();
const RealDate = Date;
class ShiftedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + offset);
    else super(...args);
  }
  static now() {
    return RealDate.now() + offset;
  }
}
globalThis.Date = ShiftedDate;

const { default: Provider } = await import('oidc-provider');

const issuer = process.env.OIDC_ISSUER;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS);
const clients = JSON.parse(process.env.OIDC_CLIENTS).map((client) => ({
  grant_types: ['authorization_code'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
  ...client,
}));
const profile = ['name', 'preferred_username'];
const claimNames = [...new Set(Object.values(accounts).flatMap((claims) => Object.keys(claims)))]
  .filter((name) => !profile.includes(name));

const provider = new Provider(issuer, {
  clients,
  jwks: JSON.parse(process.env.OIDC_JWKS),
  // Every claim an account has, under a scope of its own name (roles, bsn, ...).
  claims: {
    openid: ['sub'],
    profile,
    ...Object.fromEntries(claimNames.map((name) => [name, [name]])),
  },
  // The claims of the granted scopes go into the ID token itself, as brokers do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    if (!(id in accounts)) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...accounts[id] }) };
  },
  cookies: { keys: ['almerepas-test-only'] },
});
provider.proxy = false;
const port = Number(new URL(issuer).port);
provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${issuer}\n`);
});
