# syntax=docker/dockerfile:1
# ecat's image (README "The image"): built in one stage with the development tools, run in another
# on a slim Node 24 with production dependencies only, as a user that is not root, on a read-only
# root filesystem: everything ecat writes goes under /data (a volume).

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The build (tsc) runs below, once the source is in: no install scripts here.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-build-assets.mjs scripts/
COPY src/ src/
RUN npm run build

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    OUTBOX_DIR=/data/outbox \
    PORT=3000 \
    WORKER_PORT=3001 \
    HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force \
    && mkdir -p /data && chown node:node /data
COPY --from=build /app/dist/ dist/
COPY bin/ bin/
COPY templates/ templates/
COPY config/ config/
USER node
VOLUME ["/data"]
EXPOSE 3000 3001
# Slim images have no curl: Node asks /readyz itself, on PORT (`ecat serve`) or WORKER_PORT
# (`ecat worker`): one image, either process, one check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const ready = (port) => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => { if (!r.ok) throw new Error(r.status); }); Promise.any([process.env.PORT, process.env.WORKER_PORT].map(ready)).then(() => process.exit(0), () => process.exit(1));"]
ENTRYPOINT ["node", "bin/ecat.js"]
CMD ["serve"]
