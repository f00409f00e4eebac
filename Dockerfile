# The llm-extproc processor image (Envoy runs from the official image beside it; see
# docker-compose.yml). Multi-stage: build TypeScript, ship production deps only.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY proto ./proto
COPY bin ./bin
RUN npm ci --ignore-scripts && npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production LOG_LEVEL=info
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/proto ./proto
COPY --from=build /app/bin ./bin
USER node
EXPOSE 50051 9464
HEALTHCHECK --interval=5s --timeout=2s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:9464/readyz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["node", "bin/llm-extproc.js"]
CMD ["serve", "--config", "/etc/llm-extproc/config.yaml"]
