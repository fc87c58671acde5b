export * from './users'
export * from './chat'
