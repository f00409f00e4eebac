# The llm-extproc processor image (Envoy runs from the official image beside it; see
# docker-compose.yml, or the Helm chart in deploy/helm). Multi-stage: build TypeScript, ship
# production deps only. Node 24 is the Active LTS (supported to April 2028; Node 20's support
# ended April 2026).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY proto ./proto
COPY bin ./bin
RUN npm ci --ignore-scripts && npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production LOG_LEVEL=info
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY --from=build /app/bin ./bin
# Compose's named volumes take the owner of these directories from the image: the processor
# (not root) writes Envoy's live clusters and routes and the ratelimit descriptors there.
RUN mkdir -p /srv/envoy-dynamic /srv/ratelimit/config && chown 1000:1000 /srv/envoy-dynamic /srv/ratelimit/config
# The image's `node` user by number, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
USER 1000:1000
EXPOSE 50051 9464
HEALTHCHECK --interval=5s --timeout=2s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:9464/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["node", "bin/llm-extproc.js"]
CMD ["serve", "--config", "/etc/llm-extproc/config.yaml"]
