import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/api/client";

const key = ["helpdesk"] as const;

export function useTickets() {
  return useQuery({
    queryKey: [...key, "tickets"],
    queryFn: async () => unwrap(await api.GET("/tickets", { params: { query: { limit: 200 } } })).items,
  });
}

export function useTicket(ticketId: string) {
  const path = { params: { path: { ticketId } } };
  const ticket = useQuery({ queryKey: [...key, ticketId], queryFn: async () => unwrap(await api.GET("/tickets/{ticketId}", path)) });
  const comments = useQuery({
    queryKey: [...key, ticketId, "comments"],
    queryFn: async () => unwrap(await api.GET("/tickets/{ticketId}/comments", { params: { path: { ticketId }, query: { limit: 500 } } })).items,
  });
  const attachments = useQuery({
    queryKey: [...key, ticketId, "attachments"],
    queryFn: async () => unwrap(await api.GET("/tickets/{ticketId}/attachments", { params: { path: { ticketId }, query: { limit: 500 } } })).items,
  });
  const runs = useQuery({ queryKey: [...key, ticketId, "runs"], queryFn: async () => unwrap(await api.GET("/tickets/{ticketId}/runs", path)) });
  const mail = useQuery({
    queryKey: [...key, ticketId, "mail"],
    queryFn: async () => unwrap(await api.GET("/outbound-emails", { params: { query: { ticketId, limit: 200 } } })).items,
  });
  return { ticket, comments, attachments, runs, mail };
}
