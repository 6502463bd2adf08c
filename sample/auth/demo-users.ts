/** The sample's users and their bearer tokens. Demo data: a real app would look tokens up. */
export const DEMO_USERS = ['alice', 'bob', 'carol'] as const;
export type DemoUser = (typeof DEMO_USERS)[number];

/** Name of the cookie `POST /session` sets; the guard also accepts `?token=`. */
export const TOKEN_COOKIE = 'sample_token';

export function tokenOf(user: DemoUser): string {
  return `demo-token-${user}`;
}

export function userOfToken(token: string | undefined): DemoUser | undefined {
  return DEMO_USERS.find((user) => tokenOf(user) === token);
}

export function isDemoUser(value: unknown): value is DemoUser {
  return typeof value === 'string' && (DEMO_USERS as readonly string[]).includes(value);
}
