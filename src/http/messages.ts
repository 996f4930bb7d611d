/** Texts shown to people in more than one place, kept in one. */
export const SIGN_IN_EXPIRED = 'This sign-in page has expired or was opened in another browser. Go back to the application and start again.';
