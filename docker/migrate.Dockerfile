# syntax=docker/dockerfile:1
# The migration runner (and queue provisioning) image, run by the chart's pre-install/pre-upgrade hook Jobs:
#   docker build -f docker/migrate.Dockerfile -t <registry>/qfn-migrate:<tag> .
# /app/migrate.mjs applies migrations/sql (waits for the database first); /app/provision.mjs creates the queues.

ARG NODE_MAJOR=24

FROM node:${NODE_MAJOR}-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY shared/package.json shared/package.json
COPY functions functions
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The upstream fixes npm's postinstall applies (postgres.js connection-reset bugs): --ignore-scripts skipped them.
RUN node scripts/patch-dependencies.mjs
RUN npx tsx scripts/build.ts migrate
RUN DATABASE_URL=invalid node dist/migrate/migrate.mjs; test $? -eq 78

FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot AS runtime
ENV NODE_ENV=production MIGRATIONS_DIR=/app/sql
WORKDIR /app
# The two entries, the chunks they share, and the SQL folder.
COPY --from=build /src/dist/migrate/ /app/
USER 65532:65532
CMD ["/app/migrate.mjs"]
