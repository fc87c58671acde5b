export { users, sessions } from './users'
export * from './chat'
export * from './vault'
