# Two stages, mirroring the npm scripts: `npm ci` and `npm run build` (tsc: src/ to dist/), then
# `npm start`'s command. The runtime stage installs production dependencies only (no tsx, no
# TypeScript) and copies dist/ with package.json and schema/ beside it, where the compiled code
# looks for them (the version, and GraphiQL's example operations).
# CMD is what `npm start` execs, in exec form with nothing in between: `docker stop`'s SIGTERM
# reaches the gateway itself, which shuts down gracefully and exits 0.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build is its own step.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=4000 HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
