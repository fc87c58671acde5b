export { users, sessions, attempts } from './users'
export * from './chat'
export * from './vault'
export * from './admin'
