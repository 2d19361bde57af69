# The tremor image: one image for every role (standalone, coordinator, worker); the role is in
# the command (`server run --coordinator ...`). Built from the repository root:
#   docker build -t tremor-cluster .
#
# Node 24 is the active LTS line; the code runs on Node 20 to 24 (package.json engines).

# --- build: compile TypeScript with the dev dependencies, then drop them -----------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY control-plane/src ./control-plane/src
COPY worker/src ./worker/src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: the compiled code and production dependencies only, as a non-root user -----------
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    TREMOR_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data dir (Raft log, snapshots, the worker id) belongs to the unprivileged `node` user.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
# 8139: cluster transport (Raft, worker control); 9898: HTTP API.
EXPOSE 8139 9898
# Ready: a coordinator knows a leader, a worker has joined and reaches Redis (CONTRACT §3). Node's
# own fetch, as the slim image has no curl.
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TREMOR_API_PORT||9898)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli/tremor.js"]
CMD ["server", "run"]
