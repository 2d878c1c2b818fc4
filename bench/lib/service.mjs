// M5 placeholder, replaced below once the service CLI exists.
export async function runM5({ log }) { log('M5: not implemented yet'); return []; }
