/** The CLI's help text. */
export const USAGE = `Usage: nestjs-keycloak-logout doctor --issuer <url> --client-id <id> [options]

Checks a Keycloak realm, a client and an app using nestjs-keycloak-logout, and explains
what keeps single logout from working, with a fix for each finding.

Required:
  --issuer <url>              the realm's issuer, as the module's issuer option
                              (https://keycloak.example/realms/demo)
  --client-id <id>            the app's Client ID, as the module's clientId option

The app (checks its logout routes from where the doctor runs):
  --app-url <url>             the app's base URL (with any global prefix), e.g. https://app.example
  --route-prefix <prefix>     the module's routePrefix (default: auth)
  --without-admin-routes      the app turns the Admin URL routes off (routes.keycloakAdmin: false)

The module's token options:
  --algorithms <list>         comma-separated, as the module's algorithms (default: RS256)
  --admin-algorithms <list>   as the module's adminAlgorithms (default: --algorithms)
  --clock-tolerance <s>       as the module's clockTolerance (default: 5)

Keycloak's Admin REST API (reads the client's settings), one of:
  --admin-user <name> --admin-password <password>
                              an admin user, password grant on client admin-cli
  --admin-client-id <id> --admin-client-secret <secret>
                              a client with a service account (client credentials)
  --admin-realm <realm>       the realm those credentials belong to (default: master)
  The password and secret can come from KEYCLOAK_ADMIN_PASSWORD and
  KEYCLOAK_ADMIN_CLIENT_SECRET instead, which keeps them out of the process list.

Output:
  --json                      a machine-readable report on stdout
  --timeout <ms>              per request (default: 5000)
  -h, --help                  this text

Exit code: 0 when nothing breaks single logout, 1 when an error was found, 2 for bad usage.
`;
