"""Export orders: file intake, market rules, VIN checks, atomic and idempotent storage."""
