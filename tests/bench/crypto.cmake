# Crypto benchmark: passphrase checks (Argon2id beside the PBKDF2 it replaces), Ed25519 sign and
# verify beside the SHA-256 record hash they replace, and a whole sign-off on SQLite.
add_executable(crypto_bench crypto_bench.cpp)
target_link_libraries(crypto_bench PRIVATE console_cli console_settings)
