export const PASSWORD_RESET_ROUTE = '/password/reset';
const tokenKey = 'northwind.auth.token';
const secretName = `${env}-smtp-password`;
type Credentials = { user: string; password: string };
const apiKeyPattern = /^SG\.[\w-]{22}\.[\w-]{43}$/;
