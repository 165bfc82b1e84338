/** The throwaway PostgreSQL lives in scripts/lib/ since the chaos run starts one too; tests import it here. */
export { findPostgresBin, startRealPostgres, type RealPostgres } from '../../scripts/lib/real-postgres';
