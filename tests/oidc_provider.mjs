// A real OpenID Connect provider for the sign-in tests: node-oidc-provider (certified), on loopback.
//
//   node tests/oidc_provider.mjs PORT REDIRECT_URI
//
// One client, "assistent" (secret "assistent-geheim-voor-de-tests"), for the page's sign-in (the
// authorization code flow, PKCE required) and for access tokens by client credentials. Accounts:
// the login names below, any password (the provider's own development login form); each account's
// and each machine client's groups go into the `groups` claim of ID tokens and access tokens.
// Access tokens are JWTs for the resource (audience) asked for; the client "kort" gets tokens that
// expire after one second. Prints "ready" when it listens.
import Provider from 'oidc-provider';

const [port, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const GROUPS = {
  anna: ['medewerkers', 'wijkteam'], // staff in the wijkteam: reads the wijkteam's documents
  bert: ['medewerkers'], // staff: openbaar documents only
  carla: ['medewerkers', 'beheer'], // an admin
  dirk: ['bezoekers'], // signed in, but not staff
};
const CLIENT_GROUPS = { assistent: ['medewerkers', 'wijkteam'], kort: ['medewerkers', 'wijkteam'], buiten: ['medewerkers'] };
const SECRET = 'assistent-geheim-voor-de-tests';

const configuration = {
  clients: [
    {
      client_id: 'assistent', client_secret: SECRET, redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'client_credentials'], response_types: ['code'],
    },
    { client_id: 'kort', client_secret: SECRET, redirect_uris: [], grant_types: ['client_credentials'], response_types: [] },
    { client_id: 'buiten', client_secret: SECRET, redirect_uris: [], grant_types: ['client_credentials'], response_types: [] },
  ],
  claims: { openid: ['sub', 'groups'] },
  conformIdTokenClaims: false, // the groups in the ID token, as Entra ID and Keycloak put them there
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id, groups: GROUPS[id] || [] }; } };
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'https://assistent.test',
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource, client) => ({
        scope: 'openid', audience: resource, accessTokenFormat: 'jwt',
        accessTokenTTL: client.clientId === 'kort' ? 1 : 600,
      }),
    },
  },
  async extraTokenClaims(ctx, token) {
    return { groups: token.accountId ? GROUPS[token.accountId] || [] : CLIENT_GROUPS[token.clientId] || [] };
  },
  pkce: { required: () => true },
};

const provider = new Provider(issuer, configuration);
provider.listen(Number(port), '127.0.0.1', () => console.log('ready'));
