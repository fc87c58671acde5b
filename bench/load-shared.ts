// Shared by the load harness and its client processes.
export const hashClientId = (client: number, n: number) => `L${process.pid}-${client}-${n}`
