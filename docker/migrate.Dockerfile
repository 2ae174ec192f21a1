# The migration runner (and queue provisioning) image, run by the chart's pre-install/pre-upgrade hook Jobs:
#   DOCKER_BUILDKIT=1 docker build -f docker/migrate.Dockerfile -t <registry>/qfn-migrate:<tag> .
# /app/migrate.mjs applies migrations/sql (waits for the database first); /app/provision.mjs creates the queues.
# Needs BuildKit (see docker/Dockerfile). The stages up to `bundles` are the same as in docker/Dockerfile, so a release
# builds its dependencies and bundles once for every image.

ARG NODE_MAJOR=24

# The lockfile and every workspace's package.json (the root's "workspaces"), nothing else: what `npm ci` depends on.
FROM node:${NODE_MAJOR}-slim AS manifests
WORKDIR /src
COPY . .
RUN node -e "const fs = require('node:fs'); \
  const files = ['package.json', 'package-lock.json', ...fs.globSync(require('./package.json').workspaces.map((w) => w + '/package.json'))]; \
  for (const file of files) fs.cpSync(file, '/manifests/' + file);"

FROM node:${NODE_MAJOR}-slim AS dependencies
WORKDIR /src
COPY --from=manifests /manifests/ ./
COPY scripts/patch-dependencies.mjs scripts/patch-dependencies.mjs
# --ignore-scripts: the root's postinstall is the upstream fixes to postgres.js (connection-reset bugs), applied right after.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund && node scripts/patch-dependencies.mjs

# esbuild: every image's entry modules plus chunks loaded on demand, every dependency inlined (scripts/build.ts).
FROM dependencies AS bundles
COPY . .
RUN npx tsx scripts/build.ts --all

FROM bundles AS build
RUN DATABASE_URL=invalid node dist/migrate/migrate.mjs; test $? -eq 78

FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot AS runtime
# The compile cache is written below and only read at run time (see docker/Dockerfile).
ENV NODE_ENV=production MIGRATIONS_DIR=/app/sql NODE_COMPILE_CACHE=/app/.compile-cache
# The cache is written by the user that runs the image (Node keeps one per uid): the chart's 65532.
USER 65532:65532
WORKDIR /app
# The two entries, the chunks they share, and the SQL folder.
COPY --from=build /src/dist/migrate/ /app/
RUN --mount=type=bind,source=docker/warm-compile-cache.mjs,target=/tmp/warm-compile-cache.mjs ["/nodejs/bin/node", "/tmp/warm-compile-cache.mjs", "/app/migrate.mjs", "/app/provision.mjs"]
CMD ["/app/migrate.mjs"]
