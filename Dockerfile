# syntax=docker/dockerfile:1
# CIRIS Billing: one image for the HTTP service (`node dist/main`) and the CLI (`node dist/cli …`).
# Build: docker build -t ciris-billing:1.0.0 .

# Node 22 LTS (Node 20 is end-of-life); package.json "engines" still allows 20.19+ (and 22.13+).
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, compile TypeScript -------------------------------------------
FROM ${NODE_IMAGE} AS build
# No install-time telemetry (package.json "allowScripts" disables @scarf/scarf under npm 11 too).
ENV SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are needed (argon2 loads its native binary; see "allowScripts" in package.json).
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json tsconfig.migrations.json ./
COPY src ./src
COPY migrations ./migrations
# The admin console (Preact) is bundled into dist/admin-ui by the same `npm run build`.
COPY admin-ui ./admin-ui
RUN npm run build

# ---- prod-deps: production dependencies only ----------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
ENV SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# JSON logs even when the container is given a terminal (`docker run -t`).
ENV NODE_ENV=production \
    PORT=8000 \
    HOST=0.0.0.0 \
    LOG_FORMAT=json
WORKDIR /app
# Owned by root and read-only to the app user: the container can run with a read-only root fs.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The image's unprivileged "node" user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8000 9464
# Liveness only: the database is checked by the orchestrator's readiness probe (/health/ready).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (graceful shutdown drains, then exits 0).
CMD ["node", "dist/main"]
